Copies input to output until end of input
End of input leaves the cell unchanged so the cell is cleared before each read
and a zero cell ends the loop
,[.[-],]
